package register

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// A synthetic register: names drawn from short lists of common Russian surnames, first names and
// patronymics, birth dates, phones and policy numbers drawn at random. Nobody in it is a real
// person; a name may repeat, as in a real register, and the birth date tells them apart.

var surnames = []string{
	"Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
	"Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
	"Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев",
	"Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев",
	"Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов",
	"Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
	"Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
	"Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
	"Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв", "Быков", "Маслов",
	"Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров",
	"Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров",
	"Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев",
	"Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Ерёмин", "Тихомиров",
	"Галкин", "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов",
	"Князев", "Цветков", "Левин", "Митрофанов", "Воронов", "Аксёнов", "Мальцев", "Логинов", "Горшков", "Савин",
	"Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников", "Дёмин", "Хохлов", "Жданов",
	"Шевченко", "Бондаренко", "Руденко", "Ким", "Петров-Водкин", "Соколов-Микитов", "Бестужев-Рюмин", "Мамин-Сибиряк",
}

var maleNames = []string{
	"Александр", "Алексей", "Андрей", "Артём", "Борис", "Вадим", "Валерий", "Василий", "Виктор", "Владимир",
	"Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Максим", "Михаил",
	"Никита", "Николай", "Олег", "Павел", "Пётр", "Роман", "Сергей", "Станислав", "Степан", "Фёдор",
	"Юрий", "Ярослав", "Григорий", "Анатолий", "Геннадий", "Леонид", "Тимофей", "Матвей",
}

var femaleNames = []string{
	"Александра", "Алина", "Анастасия", "Анна", "Валентина", "Валерия", "Вера", "Виктория", "Галина", "Дарья",
	"Евгения", "Екатерина", "Елена", "Елизавета", "Ирина", "Ксения", "Людмила", "Марина", "Мария", "Надежда",
	"Наталья", "Нина", "Ольга", "Полина", "Светлана", "Софья", "Татьяна", "Юлия", "Алёна", "Лидия",
	"Зоя", "Тамара", "Любовь",
}

// patronymicStems take -ич for men and -на for women.
var patronymicStems = []string{
	"Александров", "Алексеев", "Андреев", "Борисов", "Васильев", "Викторов", "Владимиров", "Дмитриев", "Евгеньев",
	"Иванов", "Игорев", "Константинов", "Максимов", "Михайлов", "Николаев", "Олегов", "Павлов", "Петров",
	"Романов", "Сергеев", "Степанов", "Фёдоров", "Юрьев", "Анатольев", "Геннадьев", "Леонидов", "Григорьев",
}

var streets = []string{"Ленина", "Мира", "Садовая", "Школьная", "Гагарина", "Советская", "Октябрьская", "Лесная",
	"Молодёжная", "Пушкина", "Кирова", "Победы"}

var towns = []string{"г. Ставрополь", "г. Пятигорск", "г. Невинномысск", "г. Кисловодск", "г. Ессентуки", "с. Кочубеевское"}

var diagnoses = []string{"I10", "I11.9", "I25.1", "E11.9", "E66.0", "J44.9", "J45.0", "K29.5", "M42.1", "N18.3", "I48.0", "C50.9"}

// Organisations are the synthetic register's medical organisations.
var Organisations = func() []hotline.MedicalOrganisation {
	kinds := []string{"Городская поликлиника", "Районная больница", "Городская больница", "Консультативно-диагностический центр"}
	var out []hotline.MedicalOrganisation
	for i := range 24 {
		out = append(out, hotline.MedicalOrganisation{Code: fmt.Sprintf("26%04d", i+1),
			Name: fmt.Sprintf("ГБУЗ «%s № %d»", kinds[i%len(kinds)], i/len(kinds)+1)})
	}
	return out
}()

// policyStep is odd and not a multiple of 5, so i → (i·policyStep + offset) mod 10¹⁶ is a
// bijection: the policy numbers of one seed never repeat.
const policyStep = 6364136223846793

const policyMod = 1e16

// Synthetic is the i-th person (from 0) of the synthetic register drawn with seed: the same
// seed and i give the same person, so a test or a benchmark can name persons it imported.
func Synthetic(seed uint64, i int) hotline.Insured {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	hi, lo := bits.Mul64(uint64(i), policyStep)
	policy := (bits.Rem64(hi, lo, policyMod) + seed*7919) % policyMod
	p := hotline.Insured{PolicyNumber: fmt.Sprintf("%016d", policy), Sex: hotline.SexMale}
	surname := surnames[rng.IntN(len(surnames))]
	var first, patronymic string
	if rng.IntN(2) == 0 {
		first, patronymic = maleNames[rng.IntN(len(maleNames))], patronymicStems[rng.IntN(len(patronymicStems))]+"ич"
	} else {
		p.Sex = hotline.SexFemale
		surname = feminine(surname)
		first, patronymic = femaleNames[rng.IntN(len(femaleNames))], patronymicStems[rng.IntN(len(patronymicStems))]+"на"
	}
	p.FullName = surname + " " + first + " " + patronymic
	// Born 1930-01-01 … 2024-12-31.
	days := rng.IntN(95 * 365)
	y, d := 1930+days/365, days%365
	p.BirthDate = fmt.Sprintf("%04d-%02d-%02d", y, 1+d/31%12, 1+d%28)
	for n := phoneCount(rng); n > 0; n-- {
		p.Phones = append(p.Phones, hotline.InsuredPhone{Number: fmt.Sprintf("+79%09d", rng.IntN(1e9))})
	}
	p.Address = fmt.Sprintf("%s, ул. %s, д. %d, кв. %d", towns[rng.IntN(len(towns))], streets[rng.IntN(len(streets))], 1+rng.IntN(120), 1+rng.IntN(200))
	p.Organisation = Organisations[rng.IntN(len(Organisations))]
	p.HealthGroup = hotline.HealthGroups[rng.IntN(len(hotline.HealthGroups))]
	if p.HealthGroup != "I" {
		p.Diagnosis = diagnoses[rng.IntN(len(diagnoses))]
	}
	if rng.IntN(3) == 0 { // a third are due for the check-up this year
		p.DispensaryYear, p.DispensaryMonth, p.Stage = 2026, 1+rng.IntN(12), rng.IntN(3)
	}
	return p
}

func phoneCount(rng *rand.Rand) int {
	switch r := rng.IntN(20); {
	case r < 3:
		return 0
	case r < 17:
		return 1
	default:
		return 2
	}
}

// feminine is a surname's feminine form: Иванов → Иванова, Ильин → Ильина; Шевченко and Ким do
// not change; each half of a double surname changes.
func feminine(s string) string {
	if strings.Contains(s, "-") {
		parts := strings.Split(s, "-")
		for i := range parts {
			parts[i] = feminine(parts[i])
		}
		return strings.Join(parts, "-")
	}
	for _, end := range []string{"ов", "ев", "ёв", "ин", "ын"} {
		if strings.HasSuffix(s, end) {
			return s + "а"
		}
	}
	return s
}

// Generate writes a synthetic register of count persons drawn with seed to w, as an extract
// NewReader reads.
func Generate(ctx context.Context, w io.Writer, seed uint64, count int) error {
	cw, err := NewWriter(w)
	if err != nil {
		return fmt.Errorf("register: write: %w", err)
	}
	for i := range count {
		if i%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := cw.Write(Synthetic(seed, i)); err != nil {
			return fmt.Errorf("register: write: %w", err)
		}
	}
	return cw.Flush()
}

// Source is a journal.InsuredSource of the synthetic register without a file: the benchmark
// imports a million persons without writing them out first.
type Source struct {
	Seed  uint64
	Count int
	i     int
}

// Next gives the next synthetic person, as NewReader would read it from Generate's file
// (line numbers from 2, after the header).
func (s *Source) Next() (line journal.InsuredLine, err error) {
	if s.i >= s.Count {
		return line, io.EOF
	}
	p := Synthetic(s.Seed, s.i)
	s.i++
	return journal.InsuredLine{Line: s.i + 1, Person: p}, nil
}
